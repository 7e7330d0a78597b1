"""scaling-warehouse: AI scaling trends from Epoch AI and Our World in Data, landed in DuckDB."""

import os

# The fits multiply small matrices many times: OpenBLAS's threads cost more in hand-offs than they save (measured:
# the pooled fit 1.7 s of CPU on one thread against 4.7 s on two), and steps run one at a time anyway. Set before
# numpy loads; a user's own setting wins.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
