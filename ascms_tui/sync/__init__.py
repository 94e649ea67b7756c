"""Sync with AS-CMS: the change journal pushed to Salesforce REST, central changes pulled back.

No Textual here: the app's worker and `ascms-tui sync` both drive `SyncEngine`
(see docs/sync.md for the API and the guarantees).
"""
