"""The figures (plotly): the 3-D + contour view, step charts, analysis plots, styles and colours,
the GIF, the export page, the notebook API and the lessons (whose views draw with it).

No module here imports Streamlit; plotly is imported where a figure is built.
"""
