"""A demo lab test catalog: 25 tests an Indian clinic's lab commonly runs, with their parameters, units and
typical reference ranges by sex and age (the shape is described in ``services.clinical.lab_parameters``).

Synthetic, for the demo and for a new clinic to start from: every lab sets its own ranges (they depend on
the method and the analyser) and its own prices, and edits them under Lab > Catalog. Prices are integer
paise. Lab tests by a clinical establishment are exempt from GST (Notification 12/2017-CT(Rate), entry 74;
SAC 999316, laboratory services), so every test carries SAC 999316 at 0%. Pure data: nothing here touches
the store (``services.clinical.lab_catalog.load_demo_lab_tests`` loads it).
"""

from __future__ import annotations

from typing import Any

SAC_LAB = "999316"
GST_EXEMPT = 0  # basis points


def _r(
    low: str | None, high: str | None, sex: str = "any", age_min: int = 0, age_max: int | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"sex": sex, "age_min": age_min}
    if age_max is not None:
        out["age_max"] = age_max
    if low is not None:
        out["low"] = low
    if high is not None:
        out["high"] = high
    return out


def _num(name: str, unit: str, *ranges: dict[str, Any], crit: tuple[str | None, str | None] = (None, None),
         ref: str = "") -> dict[str, Any]:  # fmt: skip
    out: dict[str, Any] = {"name": name, "unit": unit, "kind": "numeric", "ranges": list(ranges)}
    if crit[0] is not None:
        out["critical_low"] = crit[0]
    if crit[1] is not None:
        out["critical_high"] = crit[1]
    if ref:
        out["ref_text"] = ref
    return out


def _adult(low: str | None, high: str | None) -> dict[str, Any]:
    return _r(low, high, age_min=18)


def _text(name: str, choices: tuple[str, ...] = (), normal: tuple[str, ...] = (), ref: str = "",
          unit: str = "") -> dict[str, Any]:  # fmt: skip
    out: dict[str, Any] = {"name": name, "unit": unit, "kind": "text"}
    if choices:
        out["choices"] = list(choices)
    if normal:
        out["normal_values"] = list(normal)
    if ref:
        out["ref_text"] = ref
    return out


def _test(
    code: str, name: str, category: str, sample: str, rupees: int, tat: int, *params: dict[str, Any]
) -> dict[str, Any]:
    return {"code": code, "name": name, "category": category, "sample_type": sample, "price_paise": rupees * 100,
            "tat_hours": tat, "sac_code": SAC_LAB, "gst_rate_basis_points": GST_EXEMPT,
            "parameters": list(params)}  # fmt: skip


HAEMOGLOBIN = _num(
    "Haemoglobin", "g/dL",
    _r("13", "17", "male", 18), _r("12", "15", "female", 18),
    _r("12", "16", age_min=12, age_max=18), _r("11.5", "15.5", age_min=6, age_max=12),
    _r("11", "14", age_min=1, age_max=6),
    crit=("7", "20"),
)  # fmt: skip
GLUCOSE_CRIT = ("50", "400")
CREATININE = _num("Creatinine", "mg/dL", _r("0.7", "1.3", "male", 18), _r("0.6", "1.1", "female", 18),
                  _r("0.3", "0.9", age_min=1, age_max=18), crit=(None, "10"))  # fmt: skip
UREA = _num("Blood urea", "mg/dL", _adult("15", "40"), _r("10", "38", age_min=1, age_max=18), crit=(None, "200"))
URIC_ACID = _num("Uric acid", "mg/dL", _r("3.4", "7.0", "male", 18), _r("2.4", "6.0", "female", 18))
TSH = _num("TSH", "\u00b5IU/mL", _adult("0.4", "4.5"), _r("0.7", "6.0", age_min=1, age_max=18))
PLUS = ("Nil", "Trace", "1+", "2+", "3+", "4+")
WIDAL_TITRES = ("<1:20", "1:20", "1:40", "1:80", "1:160", "1:320", "1:640")
WIDAL_NORMAL = ("<1:20", "1:20", "1:40", "1:80")
WIDAL_REF = "Significant titre: 1:160 or more"
POS_NEG = ("Negative", "Positive")
REACTIVE = ("Non-reactive", "Reactive")

DEMO_LAB_TESTS: tuple[dict[str, Any], ...] = (
    _test("CBC", "Complete Blood Count (CBC)", "haematology", "blood", 300, 4,
          HAEMOGLOBIN,
          _num("Total WBC count", "cells/cumm", _r("4000", "11000", age_min=1), crit=("2000", "30000")),
          _num("Platelet count", "lakh/cumm", _r("1.5", "4.5", age_min=1), crit=("0.2", "10")),
          _num("RBC count", "million/cumm", _r("4.5", "5.5", "male", 18), _r("3.8", "4.8", "female", 18),
               _r("4.0", "5.2", age_min=1, age_max=18)),
          _num("PCV (haematocrit)", "%", _r("40", "50", "male", 18), _r("36", "46", "female", 18),
               _r("35", "45", age_min=1, age_max=18)),
          _num("Neutrophils", "%", _r("40", "80")),
          _num("Lymphocytes", "%", _r("20", "40", age_min=12), _r("25", "60", age_max=12)),
          _num("Eosinophils", "%", _r("1", "6")),
          _num("Monocytes", "%", _r("2", "10"))),
    _test("FBS", "Fasting Blood Sugar (FBS)", "biochemistry", "plasma", 80, 2,
          _num("Glucose, fasting", "mg/dL", _r("70", "100"), crit=GLUCOSE_CRIT,
               ref="70 - 100 (diabetes: 126 or more)")),
    _test("PPBS", "Post-Prandial Blood Sugar (PPBS)", "biochemistry", "plasma", 80, 2,
          _num("Glucose, 2 h after food", "mg/dL", _r("70", "140"), crit=GLUCOSE_CRIT,
               ref="70 - 140 (diabetes: 200 or more)")),
    _test("RBS", "Random Blood Sugar (RBS)", "biochemistry", "plasma", 80, 1,
          _num("Glucose, random", "mg/dL", _r("70", "140"), crit=GLUCOSE_CRIT)),
    _test("HBA1C", "Glycated Haemoglobin (HbA1c)", "biochemistry", "blood", 450, 24,
          _num("HbA1c", "%", _r(None, "5.6"),
               ref="Normal below 5.7; prediabetes 5.7 - 6.4; diabetes 6.5 or more")),
    _test("LIPID", "Lipid Profile", "biochemistry", "serum", 600, 12,
          _num("Total cholesterol", "mg/dL", _adult(None, "200"), _r(None, "170", age_max=18)),
          _num("Triglycerides", "mg/dL", _adult(None, "150"), _r(None, "90", age_max=18), crit=(None, "1000")),
          _num("HDL cholesterol", "mg/dL", _r("40", None, "male"), _r("50", None, "female"), _r("40", None)),
          _num("LDL cholesterol", "mg/dL", _r(None, "100"), ref="Optimal below 100; high 160 or more"),
          _num("VLDL cholesterol", "mg/dL", _r("5", "30"))),
    _test("LFT", "Liver Function Test (LFT)", "biochemistry", "serum", 650, 12,
          _num("Total bilirubin", "mg/dL", _r("0.3", "1.2", age_min=1), crit=(None, "15")),
          _num("Direct bilirubin", "mg/dL", _r("0", "0.3")),
          _num("SGOT (AST)", "U/L", _r(None, "40")),
          _num("SGPT (ALT)", "U/L", _r(None, "41", "male"), _r(None, "33", "female"), _r(None, "40")),
          _num("Alkaline phosphatase", "U/L", _adult("44", "147"), _r("100", "390", age_min=1, age_max=18)),
          _num("Total protein", "g/dL", _r("6.4", "8.3", age_min=1)),
          _num("Albumin", "g/dL", _r("3.5", "5.2", age_min=1))),
    _test("KFT", "Kidney Function Test (KFT)", "biochemistry", "serum", 650, 12,
          UREA, CREATININE, URIC_ACID,
          _num("Sodium", "mmol/L", _r("135", "145"), crit=("120", "160")),
          _num("Potassium", "mmol/L", _r("3.5", "5.1"), crit=("2.5", "6.5")),
          _num("Chloride", "mmol/L", _r("98", "107"))),
    _test("CREAT", "Serum Creatinine", "biochemistry", "serum", 150, 6, CREATININE),
    _test("UREA", "Blood Urea", "biochemistry", "serum", 150, 6, UREA),
    _test("URIC", "Serum Uric Acid", "biochemistry", "serum", 200, 6, URIC_ACID),
    _test("CALCIUM", "Serum Calcium", "biochemistry", "serum", 200, 6,
          _num("Calcium", "mg/dL", _r("8.6", "10.3"), crit=("6", "13"))),
    _test("TSH", "Thyroid Stimulating Hormone (TSH)", "immunology", "serum", 350, 24, TSH),
    _test("TFT", "Thyroid Profile (T3, T4, TSH)", "immunology", "serum", 600, 24,
          _num("Total T3", "ng/mL", _adult("0.8", "2.0")),
          _num("Total T4", "\u00b5g/dL", _adult("5.1", "14.1")),
          TSH),
    _test("URINE-RE", "Urine Routine and Microscopy", "clinical_pathology", "urine", 150, 4,
          _text("Colour", ref="Pale yellow"),
          _text("Appearance", ("Clear", "Slightly turbid", "Turbid"), ("Clear",)),
          _num("pH", "", _r("4.5", "8.0")),
          _num("Specific gravity", "", _r("1.005", "1.030")),
          _text("Protein", PLUS, ("Nil",)),
          _text("Glucose", PLUS, ("Nil",)),
          _text("Pus cells", ref="0 - 5", unit="/hpf"),
          _text("Red blood cells", ref="Nil", unit="/hpf"),
          _text("Epithelial cells", ref="Few", unit="/hpf")),
    _test("UPT", "Urine Pregnancy Test", "clinical_pathology", "urine", 150, 1,
          _text("hCG (pregnancy test)", POS_NEG)),
    _test("WIDAL", "Widal Test (slide)", "serology", "serum", 250, 24,
          *(_text(f"Salmonella {antigen}", WIDAL_TITRES, WIDAL_NORMAL, WIDAL_REF)
            for antigen in ("Typhi O", "Typhi H", "Paratyphi AH", "Paratyphi BH"))),
    _test("NS1", "Dengue NS1 Antigen", "serology", "serum", 600, 6,
          _text("Dengue NS1 antigen", POS_NEG, ("Negative",))),
    _test("MP-AG", "Malaria Antigen (P. falciparum / P. vivax)", "serology", "blood", 300, 2,
          _text("P. falciparum antigen (HRP-2)", POS_NEG, ("Negative",)),
          _text("P. vivax antigen (pLDH)", POS_NEG, ("Negative",))),
    _test("CRP", "C-Reactive Protein (CRP)", "immunology", "serum", 400, 6,
          _num("CRP", "mg/L", _r(None, "5"))),
    _test("ESR", "Erythrocyte Sedimentation Rate (ESR)", "haematology", "blood", 100, 2,
          _num("ESR (Westergren), 1 h", "mm", _r("0", "15", "male", 18, 50), _r("0", "20", "male", 50),
               _r("0", "20", "female", 18, 50), _r("0", "30", "female", 50), _r("0", "10", age_max=18))),
    _test("VITD", "Vitamin D (25-hydroxy)", "immunology", "serum", 1500, 48,
          _num("25-OH vitamin D", "ng/mL", _r("30", "100"), crit=(None, "150"),
               ref="Deficient below 20; insufficient 20 - 29; sufficient 30 - 100")),
    _test("B12", "Vitamin B12", "immunology", "serum", 1000, 48,
          _num("Vitamin B12", "pg/mL", _r("200", "900"))),
    _test("BGRH", "Blood Group and Rh Typing", "immunology", "blood", 100, 1,
          _text("ABO group", ("A", "B", "AB", "O")),
          _text("Rh (D) type", POS_NEG)),
    _test("HBSAG", "Hepatitis B Surface Antigen (HBsAg)", "serology", "serum", 300, 6,
          _text("HBsAg", REACTIVE, ("Non-reactive",))),
)  # fmt: skip
