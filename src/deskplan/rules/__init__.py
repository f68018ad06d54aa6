"""The rules engine: plan.yaml, rules/*.yaml, conditions, SLA targets and rule tests."""
