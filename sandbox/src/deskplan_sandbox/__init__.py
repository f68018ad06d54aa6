"""Local simulators of the helpdesk APIs deskplan talks to, and the seeded scenario generator."""
