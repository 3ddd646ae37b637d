"""A labelled search set: test documents on distinct GMP topics (beside the demo documents, deviations
and training programs from seed_demo) and questions a QA person would type, each with the record
that answers it: a document title, or (record type, title) for deviations and training programs.

Queries are of three kinds: the words of the record (keyword), paraphrases sharing few or no
words with it (semantic), and short topic names.
"""

DOCUMENTS = {
    "Environmental monitoring of cleanrooms": (
        "Viable and non-viable particles are monitored in grade A and B zones during every filling shift. "
        "Settle plates are exposed for no longer than four hours. Contact plates are taken from gloves of operators "
        "after each intervention. Air samplers draw one cubic metre per location. Excursions above the action limit "
        "are reported as deviations and investigated by QA before the batch is released."
    ),
    "Calibration of measuring instruments": (
        "Balances, thermometers, pressure gauges and pH meters are calibrated against reference standards traceable "
        "to national standards. Each instrument carries a label with its calibration due date. An instrument found "
        "out of tolerance is withdrawn from use, and the impact on products measured since the last calibration is assessed."
    ),
    "Handling of customer complaints": (
        "Every complaint about a product is logged within one working day with the batch number, the description and "
        "the contact details of the customer. QA assesses whether the complaint concerns product quality, adverse events "
        "or counterfeit goods, requests retained samples, and answers the customer within thirty days."
    ),
    "Change control procedure": (
        "Any change to premises, equipment, processes, suppliers or specifications is raised as a change request. "
        "The change owner describes the change and its justification; QA classifies it as minor, major or critical and "
        "decides which validation, regulatory filing and training it needs before implementation."
    ),
    "Supplier qualification and audits": (
        "Suppliers of starting materials and packaging components are approved by QA after a questionnaire, a quality "
        "agreement and, for critical materials, an on-site audit. Approved suppliers are re-audited every three years "
        "and their delivery performance and rejected lots are reviewed annually."
    ),
    "Batch record review and release": (
        "Before a batch is certified, the qualified person reviews the executed batch manufacturing record, the in-process "
        "controls, the laboratory results and any open deviations. Missing signatures or unexplained corrections block "
        "the release until they are resolved."
    ),
    "Pest control programme": (
        "Bait stations and insect light traps are placed around the warehouse and production building according to the "
        "site map. A contractor inspects them monthly; rodent or insect activity is recorded and trended, and activity "
        "inside production areas triggers an immediate investigation."
    ),
    "Water system sampling": (
        "Purified water and water for injection are sampled daily at rotating points of use. Samples are tested for total "
        "organic carbon, conductivity, endotoxins and microbial count. Results above the alert level increase the sampling "
        "frequency; results above the action level stop the use of the loop."
    ),
    "Training of new employees": (
        "New employees complete the induction on good manufacturing practice, hygiene and documentation on their first day. "
        "They read the procedures of their role and are observed by a trainer before they work alone; the training record "
        "is signed by the employee and the trainer."
    ),
    "Stability testing programme": (
        "Three commercial batches per year are placed in climatic chambers at 25 degrees and 60 percent relative humidity "
        "and at accelerated conditions of 40 degrees and 75 percent. Assay, impurities and dissolution are tested at each "
        "time point up to the end of the shelf life; out-of-specification results are investigated."
    ),
    "Document control and archiving": (
        "Controlled documents are numbered, versioned, reviewed every two years and approved with electronic signatures. "
        "Superseded versions are withdrawn from the points of use and archived for at least the retention period required "
        "by the regulations."
    ),
    "Temperature mapping of the warehouse": (
        "The warehouse is mapped in summer and in winter with calibrated data loggers placed in a three-dimensional grid. "
        "Hot and cold spots found by the mapping become the positions of the permanent monitoring probes, and alarms are "
        "sent when the storage temperature leaves 15 to 25 degrees."
    ),
}

# (query, title of the document that answers it)
QUERIES = [
    # keyword
    ("settle plates grade A", "Environmental monitoring of cleanrooms"),
    ("calibration due date label", "Calibration of measuring instruments"),
    ("customer complaint batch number", "Handling of customer complaints"),
    ("change request classification minor major critical", "Change control procedure"),
    ("supplier audit every three years", "Supplier qualification and audits"),
    ("qualified person batch certification", "Batch record review and release"),
    ("bait stations insect light traps", "Pest control programme"),
    ("total organic carbon endotoxins", "Water system sampling"),
    ("induction training record", "Training of new employees"),
    ("climatic chambers accelerated conditions", "Stability testing programme"),
    ("superseded versions archived", "Document control and archiving"),
    ("data loggers hot spots", "Temperature mapping of the warehouse"),
    ("rinse conductivity isopropyl alcohol", "Cleaning and sanitisation of the filling line"),
    ("labeller reject bin", "Line clearance at the packaging station"),
    # paraphrase (semantic)
    ("how often do we check for airborne microbes near the filling machine", "Environmental monitoring of cleanrooms"),
    ("scale shows wrong weight what happens to products weighed", "Calibration of measuring instruments"),
    ("a patient reported a problem with our tablets", "Handling of customer complaints"),
    ("we want to replace a tablet press with a new model", "Change control procedure"),
    ("vendor approval for raw materials", "Supplier qualification and audits"),
    ("who decides if a lot can be shipped to the market", "Batch record review and release"),
    ("mice found in the storage area", "Pest control programme"),
    ("microbiological quality of the pharmaceutical water loop", "Water system sampling"),
    ("onboarding of newly hired staff", "Training of new employees"),
    ("shelf life studies under humid heat", "Stability testing programme"),
    ("retention of obsolete procedures", "Document control and archiving"),
    ("heat distribution study in the storage building", "Temperature mapping of the warehouse"),
    ("how do we wash the aseptic line between two products", "Cleaning and sanitisation of the filling line"),
    ("remove leftover printed cartons before the next lot is packed", "Line clearance at the packaging station"),
    # topics
    ("pest control", "Pest control programme"),
    ("stability", "Stability testing programme"),
    ("complaints", "Handling of customer complaints"),
    ("water for injection", "Water system sampling"),
    ("quality manual", "Quality Manual"),
    # deviations (the demo deviations and the closed history of ai/severity_history.py)
    ("torn seal filling line", ("deviation", "Torn seal on filling line 1")),
    ("pallet without batch label", ("deviation", "Pallet without batch label in the warehouse")),
    ("microbes grew in the sterility test after release", ("deviation", "Sterility test failure of a released batch")),
    ("tablets labelled with the wrong strength", ("deviation", "Mix-up of labels between two strengths")),
    ("refrigerated goods got warm on the truck", ("deviation", "Cold chain break during shipment")),
    ("pressure cascade between rooms dropped", ("deviation", "Differential pressure alarm in the corridor")),
    ("someone worked before being trained on the new procedure", ("deviation", "Operator not trained on the revised SOP")),
    ("weighing scale used after its calibration expired", ("deviation", "Balance calibration overdue")),
    # training programs (seed_demo)
    ("ALCOA+ records", ("training", "Good documentation practice")),
    ("course on coaching and escalation for team leads", ("training", "Leading quality teams")),
    ("introduction to EU GMP and 21 CFR 211", ("training", "GMP basics")),
]
