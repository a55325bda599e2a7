from stocky.cli import app

app(prog_name="stocky")
