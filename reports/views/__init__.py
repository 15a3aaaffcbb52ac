"""Views: `public` for everyone, `manage` for coordinators and admins, `accounts` for sign-in."""
