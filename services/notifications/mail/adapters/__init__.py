"""What e-mail talks to besides the database and the bus: the SMTP server (:mod:`.smtp`)."""
