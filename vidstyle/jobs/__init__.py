"""Jobs: one input to one output with a job's settings (run), the video pipeline (pipeline), its resume data
(checkpoint), multi-pass runs (passes), units of a split clip (units), and `vidstyle eval` and `vidstyle train`."""
