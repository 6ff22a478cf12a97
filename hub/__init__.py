"""The ``hub`` command: the launcher of the services (one process, a process group, all of
them), the development broker, and the operators' subcommands the services provide."""
