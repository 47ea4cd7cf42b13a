"""The action catalog: named executor calls with JSON Schemas for their inputs, from settings
(PLANGATE_ACTIONS) and per team (the admin), and the compiling of a step that names one."""
