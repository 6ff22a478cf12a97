"""What the transparency service talks to outside its database: its witnesses."""
