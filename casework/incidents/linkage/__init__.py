"""Record linkage of victims: the same person reported by several sources found and, once a reviewer decides,
counted once. names.py (name rules), scoring.py (how alike two records are, and why), blocking.py (which pairs
to score) are pure; the models, services and task in the incidents app store candidates and decisions."""
