"""Shop settings that staff may change without a deploy (outlet details, terms, rates)."""
