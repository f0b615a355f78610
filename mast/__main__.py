from mast.cli import app

app()
