"""KPIs and goals: the metric definitions, windows, goal status and the report's results."""
