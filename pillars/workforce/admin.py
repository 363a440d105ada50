"""The workforce app's reference data in the admin (administrators only, every save audited
through people.services.save_reference, nothing deleted)."""
