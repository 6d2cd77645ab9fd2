"""Texturing the selected mesh: the operators and panel, the jobs' main-thread glue, mesh export and
capture, the engine choice, and recovery after a reload or a crash. Both engines (texture API,
projection) run through the same job machinery (``texture_jobs``) and the same material builder."""
