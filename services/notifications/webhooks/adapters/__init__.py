"""What the webhooks talk to besides the database and the bus: agencies' endpoints (the guarded
sender, :mod:`.sender`) and the fair share of the sending pool each one gets (:mod:`.limits`)."""
