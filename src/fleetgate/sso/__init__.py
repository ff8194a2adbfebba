"""Single sign-on through OpenID Connect (Microsoft Entra ID first): flows, identity links, group mapping."""
