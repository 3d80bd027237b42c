"""slmmux: the reference implementation of SLM-MUX (Orchestrating Small Language Models for Reasoning).

Modules are named after the paper's concepts:

- :mod:`slmmux.data`       benchmark questions and validation/test splits
- :mod:`slmmux.samples`    the long-format samples table every stage reads and writes
- :mod:`slmmux.answers`    answer extraction, voting keys and bounded-time grading
- :mod:`slmmux.mux`        SLM-MUX selection (Algorithm 1) and the baselines
- :mod:`slmmux.metrics`    accuracy, standard errors, bootstrap intervals
- :mod:`slmmux.search`     union accuracy, contradiction and the model-subset search
- :mod:`slmmux.scaling`    compute-scaling sweeps over samples per model and number of models
"""

__version__ = "0.1.0"
