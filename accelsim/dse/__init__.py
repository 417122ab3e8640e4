"""Design-space work, one package: parameter-grid sweeps (sweep_spec.py: grid specs and
validation; sweep.py: execution on a process pool or dask.distributed, resume; sweep_files.py:
the file layout; sweep_plots.py) and multi-objective search (Optuna) over arch fields and
workload settings under budgets, with Pareto fronts and hypervolume (explore.py); the space
file (space.py), constraint expressions (expr.py), Pareto maths (pareto.py), plots
(explore_plots.py). Explored points are simulated by the sweep machinery."""
