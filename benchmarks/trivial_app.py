"""Streamlit's own floor: the smallest app of the same kind as optviz (one slider, one small
st.plotly_chart). The budget's load figures are ratios to it, measured in the same run
(benchmarks/load_test.py): what any Streamlit app costs on this machine, whatever the app does.
Run: streamlit run benchmarks/trivial_app.py
"""

import streamlit as st

lr = st.select_slider("learning rate", options=[0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0], value=0.01, key="lr")
xs = list(range(50))
st.plotly_chart({"data": [{"type": "scatter", "x": xs, "y": [(1 - lr) ** x for x in xs]}],
                 "layout": {"height": 300, "title": {"text": f"(1 - {lr})^t"}}}, key="chart")
