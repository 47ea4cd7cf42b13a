"""The measurements of `manage.py benchmark`, one module each; `support` holds what they share."""
