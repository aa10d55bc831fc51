"""LeadHeat: lead scoring for real-estate agencies."""
