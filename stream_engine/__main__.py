from stream_engine.cli.main import run

run()
