"""The permission matrix (tests/test_permission_matrix.py): its fixture world
(world.py) and its table of expected answers (rules.py)."""
