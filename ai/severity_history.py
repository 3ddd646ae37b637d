# ruff: noqa: E501 - one deviation per entry, its description on one line
"""A history of closed deviations with the severity QA gave them: the demo data the offline severity
suggestion learns from (`ai/demo.py` seeds them as closed deviations) and is calibrated on
(`bench/severity_calibration.py`, `ai/tests/test_severity_suggestion.py`).

Each entry: (title, description, category, area, severity). Written as a QA department of a sterile
and oral-solid-dose site would classify them: Critical (a patient or sterility risk that reached or
could reach released product), High (product quality impact, batch at risk), Medium (a GMP
requirement missed with limited or no product impact), Low (documentation or minor slips caught
by a control).
"""

HISTORY: list[tuple[str, str, str, str, str]] = [
    # --- Critical ---------------------------------------------------------------------------------------
    (
        "Sterility test failure of a released batch",
        "The sterility test of batch B23-0412 grew Staphylococcus in one canister; part of the batch was already shipped to hospitals.",
        "Process",
        "QC laboratory",
        "Critical",
    ),
    (
        "Wrong active ingredient dispensed",
        "The weighing record shows paracetamol dispensed instead of ibuprofen for the granulation of batch B24-0033; tablets were compressed.",
        "Materials",
        "Warehouse",
        "Critical",
    ),
    (
        "Media fill contamination",
        "Two units of the aseptic process simulation on filling line 1 were turbid after incubation; the line was used for commercial batches since.",
        "Process",
        "Production: filling line 1",
        "Critical",
    ),
    (
        "Glass particles in released vials",
        "A pharmacy complaint reports glass particles in vials of a released batch; retained samples show the same particles.",
        "Equipment",
        "Production: filling line 2",
        "Critical",
    ),
    (
        "Mix-up of labels between two strengths",
        "Cartons of 500 mg tablets were labelled as 250 mg; the batch was released and distributed before the mix-up was found.",
        "Process",
        "Packaging",
        "Critical",
    ),
    (
        "HEPA filter breach over the filling zone",
        "The integrity test of the HEPA filter above the grade A filling zone failed; batches were filled under it for two weeks.",
        "Facilities and environment",
        "Production: filling line 1",
        "Critical",
    ),
    (
        "Endotoxin above limit in water for injection",
        "Water for injection from the loop exceeded the endotoxin limit; it was used to make solutions for injection.",
        "Facilities and environment",
        "Utilities",
        "Critical",
    ),
    (
        "Cross-contamination with a penicillin product",
        "Penicillin residue was detected in a non-penicillin product made on shared equipment after cleaning.",
        "Process",
        "Production: filling line 2",
        "Critical",
    ),
    (
        "Falsified batch record entries",
        "An operator admitted recording in-process checks that were not performed for three batches already released.",
        "Documentation",
        "Production: filling line 2",
        "Critical",
    ),
    (
        "Autoclave cycle failed but load released",
        "The sterilisation chart shows the autoclave did not reach 121 °C, yet the load of stoppers was released to aseptic filling.",
        "Equipment",
        "Production: filling line 1",
        "Critical",
    ),
    # --- High -------------------------------------------------------------------------------------------
    (
        "Torn seals on filled vials",
        "During filling of batch B24-0117 the seals of vials at station 4 were torn; the affected vials were quarantined before release.",
        "Equipment",
        "Production: filling line 1",
        "High",
    ),
    (
        "Out-of-specification assay result",
        "The assay of batch B24-0210 was 91 % against a limit of 95-105 %; the batch is on hold pending investigation.",
        "Process",
        "QC laboratory",
        "High",
    ),
    (
        "Environmental monitoring excursion in grade A",
        "A settle plate in the grade A zone showed 2 CFU during filling; the batch is held for review.",
        "Facilities and environment",
        "Production: filling line 2",
        "High",
    ),
    (
        "Tablet hardness out of limits",
        "In-process checks found tablets below the hardness limit for one hour of compression; the batch is quarantined.",
        "Equipment",
        "Production: filling line 2",
        "High",
    ),
    (
        "Wrong granulation time",
        "The granulator ran 4 minutes longer than the master batch record allows; dissolution of the batch is at risk.",
        "Process",
        "Production: filling line 2",
        "High",
    ),
    (
        "Stability failure at 12 months",
        "The 12-month stability sample of a marketed product failed the impurity limit.",
        "Process",
        "QC laboratory",
        "High",
    ),
    (
        "Foreign particle in granulate",
        "A black particle was found in the granulate of batch B24-0301 before compression; the batch is on hold.",
        "Materials",
        "Production: filling line 2",
        "High",
    ),
    (
        "Filter integrity test failed after filtration",
        "The post-use integrity test of the sterilising filter failed for the bulk solution of batch B24-0150.",
        "Equipment",
        "Production: filling line 1",
        "High",
    ),
    (
        "Supplier changed the excipient source without notice",
        "The supplier of lactose changed its manufacturing site; three batches were made with the unqualified material.",
        "Materials",
        "Warehouse",
        "High",
    ),
    (
        "Cold chain break during shipment",
        "A shipment of a refrigerated product was at 15 °C for 10 hours during transport; the goods are quarantined at the customer.",
        "Materials",
        "Warehouse",
        "High",
    ),
    # --- Medium -----------------------------------------------------------------------------------------
    (
        "Temperature excursion in cold room",
        "The cold room log shows 9.1 °C for 25 minutes overnight (limit 8 °C); stored goods are being assessed.",
        "Facilities and environment",
        "Warehouse",
        "Medium",
    ),
    (
        "Balance calibration overdue",
        "The balance in the dispensing booth was used one week after its calibration due date; its check afterwards passed.",
        "Equipment",
        "Warehouse",
        "Medium",
    ),
    (
        "Line clearance not documented",
        "The line clearance before batch B24-0188 on the packaging line was done but not signed in the batch record.",
        "Documentation",
        "Packaging",
        "Medium",
    ),
    (
        "Operator not trained on the revised SOP",
        "An operator performed the cleaning of the filling machine before being trained on the new version of the SOP.",
        "Personnel",
        "Production: filling line 2",
        "Medium",
    ),
    (
        "Differential pressure alarm in the corridor",
        "The pressure difference between the corridor and the grade C room dropped below 10 Pa for 20 minutes; no production was running.",
        "Facilities and environment",
        "Production: filling line 1",
        "Medium",
    ),
    (
        "Expired reagent used in a test",
        "An expired buffer was used for the pH test of a raw material; the test was repeated with a valid buffer and passed.",
        "Materials",
        "QC laboratory",
        "Medium",
    ),
    (
        "Cleaning hold time exceeded",
        "The mixing vessel stood dirty for 80 hours before cleaning (limit 72 hours); the cleaning was validated afterwards.",
        "Process",
        "Production: filling line 2",
        "Medium",
    ),
    (
        "Preventive maintenance postponed",
        "The preventive maintenance of the blister machine was postponed by one month without a change control.",
        "Equipment",
        "Packaging",
        "Medium",
    ),
    (
        "Humidity out of range in the warehouse",
        "The warehouse humidity was 68 % for two days (limit 65 %); packaging materials were stored there.",
        "Facilities and environment",
        "Warehouse",
        "Medium",
    ),
    (
        "Deviation from the sampling plan",
        "Only 8 instead of 13 containers of a raw material were sampled at goods receipt; the remaining samples were taken the next day.",
        "Process",
        "Warehouse",
        "Medium",
    ),
    # --- Low --------------------------------------------------------------------------------------------
    (
        "Pallet without batch label",
        "A pallet of the goods receipt had no batch label; it was identified from the delivery note.",
        "Materials",
        "Warehouse",
        "Low",
    ),
    (
        "Typo in the batch record",
        "The date in one entry of the batch record was written as 2204 instead of 2024; corrected with a single line and initials.",
        "Documentation",
        "Production: filling line 2",
        "Low",
    ),
    (
        "Logbook entry missing a signature",
        "The cleaning logbook of room 12 has one entry without the second signature; the cleaning itself was verified.",
        "Documentation",
        "Production: filling line 2",
        "Low",
    ),
    (
        "Printer ribbon faded on carton codes",
        "The batch code on some cartons was faint but readable; the vision system accepted them and the ribbon was replaced.",
        "Equipment",
        "Packaging",
        "Low",
    ),
    (
        "Visitor entered without signing in",
        "A contractor entered the warehouse office without signing the visitor log; no production area was entered.",
        "Facilities and environment",
        "Warehouse",
        "Low",
    ),
    (
        "Late review of a completed batch record",
        "The QA review of a completed batch record took 12 days instead of 10; no release was affected.",
        "Documentation",
        "QC laboratory",
        "Low",
    ),
    (
        "Torn outer box of a delivery",
        "The outer box of a delivery of leaflets was torn; the leaflets inside were undamaged.",
        "Materials",
        "Warehouse",
        "Low",
    ),
    (
        "Thermometer display battery empty",
        "The display of a room thermometer in the office was empty; the room is not GMP-controlled storage.",
        "Equipment",
        "Warehouse",
        "Low",
    ),
    (
        "Obsolete form used for a label check",
        "An operator used the previous version of the label check form; the content checked was identical.",
        "Documentation",
        "Packaging",
        "Low",
    ),
    (
        "Gowning room bin overfull",
        "The waste bin in the gowning room was overfull at the start of the shift; it was emptied before production.",
        "Facilities and environment",
        "Production: filling line 2",
        "Low",
    ),
]

SEVERITIES = ("Low", "Medium", "High", "Critical")
