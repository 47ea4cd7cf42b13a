"""The planner: from a goal to a draft plan over the action catalog, and from a message to the
values of a plan's missing inputs."""
