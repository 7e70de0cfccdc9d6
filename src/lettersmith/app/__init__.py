"""The application layer: ``Project``, the one door every face (command line, web app, a
program) goes through. It sits above every stage: load, compose, render, deliver."""
