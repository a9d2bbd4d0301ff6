# The shared tables import these modules themselves (tests/test_backend_matrix.py,
# tests/_bad_input_cases.py); collecting them here first (doctest-modules) would
# import them before the tables they extend.
collect_ignore = ["backend_cases.py", "bad_input_cases.py"]
