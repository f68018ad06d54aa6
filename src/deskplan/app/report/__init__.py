"""`deskplan report`: the goals report as text, JSON and HTML."""
