"""finmon.aml: anti-money-laundering — typology detectors, the transaction graph,
sanctions and PEP screening, KYC and customer risk.

The detectors read only what a bank would send (canonical transactions and
reference files); they never import the simulator.
"""
