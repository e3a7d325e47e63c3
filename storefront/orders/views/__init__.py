"""Order pages: the shopper's cart, checkout and orders; managers' order queue; Stripe's webhook."""
