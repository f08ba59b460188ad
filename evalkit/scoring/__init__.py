"""The named parts a task's YAML refers to: answer extractors, sample scorers, aggregations.

``registry`` holds the three tables; ``builtin`` registers evalkit's own parts. A task spec names
each part by its registered name, so adding a benchmark that reuses parts is one YAML file and
adding a metric is one function plus its registration.
"""
