"""The process entry points: the command line, the web app's factory and server, the
broker's readiness probe, the demo clinic. May import everything in `scheduler`.
"""
