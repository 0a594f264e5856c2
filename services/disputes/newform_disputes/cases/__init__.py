"""Cases (M18): opening, the stage machine, and mediation — acceptance, mediator, sessions, extension,
outcome, withdrawal, fulfilment, legal aid. Arbitration and the court are `arbitration/`."""
