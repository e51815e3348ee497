"""Sign-in glue for the web app: OpenID Connect providers (`app.auth.oidc`)."""
