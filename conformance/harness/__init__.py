"""The conformance harness: the device under test (dut.py) and the requirement catalogues (requirements.py)."""
