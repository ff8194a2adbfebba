"""Identity: people, their role bindings and role-grant requests, service accounts, API tokens and sign-in."""
