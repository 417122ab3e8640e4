"""Design-space exploration: multi-objective search (Optuna) over arch fields and workload
settings under budgets, with Pareto fronts and hypervolume (explore.py); the space file
(space.py), constraint expressions (expr.py), Pareto maths (pareto.py), plots
(explore_plots.py). Points are simulated by the sweep machinery (accelsim.sweep)."""
