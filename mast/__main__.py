from mast.cli.main import app

app()
