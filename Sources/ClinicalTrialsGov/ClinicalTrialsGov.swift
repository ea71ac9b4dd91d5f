// ClinicalTrials.gov API v2 study JSON → trialtrack events (pure mapping and diff).
