"""The Streamlit app's parts: settings and links, caches, the view component, panels, presentation,
warm-up, and `optviz serve`.
"""
