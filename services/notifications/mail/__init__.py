"""Citizens' and petition authors' e-mail: signature confirmations with their receipt, the
outcome to signers who asked, notices to authors; addresses kept only with consent and no
longer than needed, one-click unsubscribe, and the SMTP sending loop's steps."""
