"""The example workspace `deskplan init DIR` writes (its files live in example/)."""
