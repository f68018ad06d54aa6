"""`deskplan review`: one period's review digest as text, JSON, Markdown, HTML, and as the body of
a helpdesk task (a Zendesk internal note, a Jira description)."""
