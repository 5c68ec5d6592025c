"""Analysis on top of the core: minima, basins, sensitivity, the step inspector, results, exports.

Imports numpy, sympy (through `surfaces`) and optviz.core only, never plotly or Streamlit.
"""
