# 1.3.0: the API of the hosted service's SDK 1.3.0, which this project implements;
# +offline.N: what it adds (the offline engine, the CLI, the gateway), release N. A local
# version sorts above 1.3.0, so pip never "upgrades" it to the index's package of that
# name, and the package index refuses to publish it. See CHANGELOG.md.
__version__ = "1.3.0+offline.1"
