"""Write planning: assess a ticket, plan the writes it needs, apply a plan exactly once."""
