"""One module per thing a person does on the pages."""
