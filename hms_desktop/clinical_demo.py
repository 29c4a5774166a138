"""A demo medicine catalogue: 60 common generics sold in Indian out-patient pharmacies, each under a well-known
brand, so a new clinic (and the demo) can prescribe and dispense within a minute. All entries are ordinary
catalogue data the clinic can edit; ``hms_desktop.services.clinical.medicine_search.load_demo_catalog``
inserts them (idempotent) with codes from the MEDICINES series.

Tax: medicines (HSN 3004, packed for retail sale) are at 5% GST since 22 September 2025 (Notification
9/2025-CT(Rate) moved HSN 3003/3004 from 12% to 5%; see DOMAIN.md), so every entry carries 500 basis points;
a clinic on old stock re-rates in the catalogue, never in code. ``schedule``: H (sold only against a registered
practitioner's prescription, Drugs and Cosmetics Rules), H1 (the same, and each supply is entered in the H1
register: third-generation cephalosporins such as cefixime, the newer quinolones, tramadol) or none.
Tablets and capsules are sold and counted one by one from a strip (``unit`` tablet or capsule, ``pack_size``
the strip's count); MRPs are indicative, per pack (a strip of 10 or 15, a bottle, a tube), as printed on it.
"""

from __future__ import annotations

from dataclasses import dataclass

HSN_MEDICINES = "3004"
GST_MEDICINES_BASIS_POINTS = 500  # 5% since 22 Sep 2025 (was 12%)


@dataclass(frozen=True)
class DemoMedicine:
    name: str  # the brand as printed on the pack
    generic_name: str  # the composition, ingredients joined with " + "
    strength: str
    form: str  # one of db.models.pharmacy.MEDICINE_FORMS
    unit: str  # the selling unit, one of MEDICINE_UNITS
    category: str
    manufacturer: str
    mrp_paise: int  # per pack
    is_schedule_h: bool  # sold only on a prescription (schedule H, H1 or X)
    schedule: str = "none"  # one of db.models.pharmacy.DRUG_SCHEDULES
    pack_size: int = 1  # units in the pack the MRP is for


# Schedule H1 (GSR 588(E), 2013) among the demo's generics.
H1_GENERICS = frozenset({"Cefixime", "Levofloxacin", "Moxifloxacin", "Tramadol", "Alprazolam"})
# Strips that do not hold 10; a bottle of tablets sells loose too.
PACK_SIZES = {"Dolo 650": 15, "Crocin Advance": 15, "Augmentin 625 Duo": 6, "Azithral 500": 5, "Pan-D": 15,
              "Forcan 150": 1, "Zentel": 1, "Uprise-D3 60K": 4, "Shelcal 500": 15, "Thyronorm 50": 100,
              "Becosules": 20}  # fmt: skip


def _m(
    name: str, generic: str, strength: str, form: str, unit: str, category: str, maker: str, mrp: int, h: bool
) -> DemoMedicine:
    pack = 1
    if form in ("tablet", "capsule") and unit in ("strip", "bottle"):
        unit, pack = form, PACK_SIZES.get(name, 10)
    schedule = ("H1" if generic in H1_GENERICS else "H") if h else "none"
    return DemoMedicine(name, generic, strength, form, unit, category, maker, mrp, h, schedule, pack)


DEMO_MEDICINES: tuple[DemoMedicine, ...] = (
    _m("Dolo 650", "Paracetamol", "650 mg", "tablet", "strip", "Analgesic", "Micro Labs", 3360, False),
    _m("Crocin Advance", "Paracetamol", "500 mg", "tablet", "strip", "Analgesic", "GSK", 2040, False),
    _m("Calpol 250 Suspension", "Paracetamol", "250 mg/5 ml", "syrup", "bottle", "Analgesic", "GSK", 4600, False),
    _m("Mox 500", "Amoxicillin", "500 mg", "capsule", "strip", "Antibiotic", "Sun Pharma", 10150, True),
    _m(
        "Augmentin 625 Duo",
        "Amoxicillin + Clavulanic acid",
        "500 mg + 125 mg",
        "tablet",
        "strip",
        "Antibiotic",
        "GSK",
        20400,
        True,
    ),  # fmt: skip
    _m("Azithral 500", "Azithromycin", "500 mg", "tablet", "strip", "Antibiotic", "Alembic", 11900, True),
    _m("Ciplox 500", "Ciprofloxacin", "500 mg", "tablet", "strip", "Antibiotic", "Cipla", 4500, True),
    _m("Taxim-O 200", "Cefixime", "200 mg", "tablet", "strip", "Antibiotic", "Alkem", 10900, True),
    _m("Metrogyl 400", "Metronidazole", "400 mg", "tablet", "strip", "Antibiotic", "J B Chemicals", 2200, True),
    _m("Doxt-SL", "Doxycycline", "100 mg", "tablet", "strip", "Antibiotic", "Dr Reddy's", 11700, True),
    _m("Okacet", "Cetirizine", "10 mg", "tablet", "strip", "Antihistamine", "Cipla", 1900, False),
    _m("Levocet", "Levocetirizine", "5 mg", "tablet", "strip", "Antihistamine", "Hetero", 6000, False),
    _m("Allegra 120", "Fexofenadine", "120 mg", "tablet", "strip", "Antihistamine", "Sanofi", 22300, True),
    _m("Avil 25", "Pheniramine", "25 mg", "tablet", "strip", "Antihistamine", "Sanofi", 800, False),
    _m(
        "Montair LC",
        "Montelukast + Levocetirizine",
        "10 mg + 5 mg",
        "tablet",
        "strip",
        "Anti-allergic",
        "Cipla",
        23700,
        True,
    ),  # fmt: skip
    _m("Pan 40", "Pantoprazole", "40 mg", "tablet", "strip", "Antacid", "Alkem", 15500, True),
    _m("Pan-D", "Pantoprazole + Domperidone", "40 mg + 30 mg", "capsule", "strip", "Antacid", "Alkem", 23100, True),
    _m("Omez 20", "Omeprazole", "20 mg", "capsule", "strip", "Antacid", "Dr Reddy's", 6300, True),
    _m("Famocid 20", "Famotidine", "20 mg", "tablet", "strip", "Antacid", "Sun Pharma", 1700, True),
    _m("Domstal 10", "Domperidone", "10 mg", "tablet", "strip", "Antiemetic", "Torrent", 3900, True),
    _m("Emeset 4", "Ondansetron", "4 mg", "tablet", "strip", "Antiemetic", "Cipla", 6500, True),
    _m(
        "Digene Gel",
        "Magnesium hydroxide + Aluminium hydroxide + Simethicone",
        "200 ml",
        "syrup",
        "bottle",
        "Antacid",
        "Abbott",
        17800,
        False,
    ),  # fmt: skip
    _m("Electral", "Oral rehydration salts", "21.8 g", "other", "sachet", "Rehydration", "FDC", 2200, False),
    _m(
        "Cyclopam",
        "Dicyclomine + Paracetamol",
        "20 mg + 500 mg",
        "tablet",
        "strip",
        "Antispasmodic",
        "Indoco",
        5200,
        True,
    ),  # fmt: skip
    _m("Buscopan 10", "Hyoscine butylbromide", "10 mg", "tablet", "strip", "Antispasmodic", "Sanofi", 6100, True),
    _m("Dulcoflex 5", "Bisacodyl", "5 mg", "tablet", "strip", "Laxative", "Sanofi", 1000, False),
    _m("Brufen 400", "Ibuprofen", "400 mg", "tablet", "strip", "Analgesic", "Abbott", 1700, True),
    _m(
        "Combiflam", "Ibuprofen + Paracetamol", "400 mg + 325 mg", "tablet", "strip", "Analgesic", "Sanofi", 4400, False
    ),  # fmt: skip
    _m("Voveran 50", "Diclofenac", "50 mg", "tablet", "strip", "Analgesic", "Dr Reddy's", 3600, True),
    _m(
        "Zerodol-SP",
        "Aceclofenac + Paracetamol + Serratiopeptidase",
        "100 mg + 325 mg + 15 mg",
        "tablet",
        "strip",
        "Analgesic",
        "Ipca",
        13400,
        True,
    ),  # fmt: skip
    _m(
        "Ultracet", "Tramadol + Paracetamol", "37.5 mg + 325 mg", "tablet", "strip", "Analgesic", "Janssen", 23000, True
    ),  # fmt: skip
    _m("Glycomet 500", "Metformin", "500 mg", "tablet", "strip", "Antidiabetic", "USV", 2000, True),
    _m("Amaryl 1", "Glimepiride", "1 mg", "tablet", "strip", "Antidiabetic", "Sanofi", 16000, True),
    _m(
        "Janumet 50/500",
        "Sitagliptin + Metformin",
        "50 mg + 500 mg",
        "tablet",
        "strip",
        "Antidiabetic",
        "MSD",
        23000,
        True,
    ),  # fmt: skip
    _m("Amlong 5", "Amlodipine", "5 mg", "tablet", "strip", "Antihypertensive", "Micro Labs", 3200, True),
    _m("Telma 40", "Telmisartan", "40 mg", "tablet", "strip", "Antihypertensive", "Glenmark", 21500, True),
    _m("Losar 50", "Losartan", "50 mg", "tablet", "strip", "Antihypertensive", "Unichem", 7900, True),
    _m("Metolar 25", "Metoprolol", "25 mg", "tablet", "strip", "Antihypertensive", "Cipla", 4300, True),
    _m("Atorva 10", "Atorvastatin", "10 mg", "tablet", "strip", "Lipid-lowering", "Zydus", 10700, True),
    _m("Rosuvas 10", "Rosuvastatin", "10 mg", "tablet", "strip", "Lipid-lowering", "Sun Pharma", 26200, True),
    _m("Ecosprin 75", "Aspirin", "75 mg", "tablet", "strip", "Antiplatelet", "USV", 500, False),
    _m("Clopitab 75", "Clopidogrel", "75 mg", "tablet", "strip", "Antiplatelet", "Lupin", 10300, True),
    _m("Thyronorm 50", "Levothyroxine", "50 mcg", "tablet", "bottle", "Thyroid", "Abbott", 18500, True),
    _m("Wysolone 10", "Prednisolone", "10 mg", "tablet", "strip", "Corticosteroid", "Pfizer", 1400, True),
    _m("Dexona", "Dexamethasone", "4 mg/ml", "injection", "ampoule", "Corticosteroid", "Zydus", 900, True),
    _m("Forcan 150", "Fluconazole", "150 mg", "tablet", "strip", "Antifungal", "Cipla", 2200, True),
    _m("Zentel", "Albendazole", "400 mg", "tablet", "strip", "Anthelmintic", "GSK", 2300, False),
    _m("Asthalin Inhaler", "Salbutamol", "100 mcg/dose", "other", "piece", "Bronchodilator", "Cipla", 15800, True),
    _m(
        "Deriphyllin Retard 150",
        "Etofylline + Theophylline",
        "115 mg + 35 mg",
        "tablet",
        "strip",
        "Bronchodilator",
        "Zydus",
        1900,
        True,
    ),  # fmt: skip
    _m(
        "Ascoril LS Syrup",
        "Ambroxol + Levosalbutamol + Guaifenesin",
        "30 mg + 1 mg + 50 mg/5 ml",
        "syrup",
        "bottle",
        "Cough and cold",
        "Glenmark",
        11800,
        True,
    ),  # fmt: skip
    _m("Otrivin", "Xylometazoline", "0.1% w/v", "drops", "bottle", "Nasal decongestant", "GSK", 11400, False),
    _m(
        "Shelcal 500",
        "Calcium carbonate + Vitamin D3",
        "500 mg + 250 IU",
        "tablet",
        "strip",
        "Supplement",
        "Torrent",
        11800,
        False,
    ),  # fmt: skip
    _m("Uprise-D3 60K", "Cholecalciferol", "60000 IU", "capsule", "strip", "Supplement", "Alkem", 12700, False),
    _m("Becosules", "Vitamin B complex + Vitamin C", "", "capsule", "strip", "Supplement", "Pfizer", 4700, False),
    _m("Limcee", "Ascorbic acid", "500 mg", "tablet", "strip", "Supplement", "Abbott", 2500, False),
    _m(
        "Livogen",
        "Ferrous fumarate + Folic acid",
        "152 mg + 1.5 mg",
        "tablet",
        "strip",
        "Haematinic",
        "P&G",
        4500,
        False,
    ),  # fmt: skip
    _m("Folvite 5", "Folic acid", "5 mg", "tablet", "strip", "Supplement", "Pfizer", 3800, False),
    _m(
        "Betadine Ointment", "Povidone-iodine", "5% w/w", "ointment", "tube", "Antiseptic", "Win-Medicare", 12700, False
    ),  # fmt: skip
    _m("Candid Cream", "Clotrimazole", "1% w/w", "ointment", "tube", "Antifungal", "Glenmark", 12000, False),
    _m("Vigamox", "Moxifloxacin", "0.5% w/v", "drops", "bottle", "Ophthalmic antibiotic", "Novartis", 22800, True),
    _m(
        "Ciplox Eye Drops", "Ciprofloxacin", "0.3% w/v", "drops", "bottle", "Ophthalmic antibiotic", "Cipla", 1800, True
    ),  # fmt: skip
)
