"""Case packages: petitions from intake to closure (the blueprint's views arrive with the cases issue)."""
